from placebolab.cli import main

main()
