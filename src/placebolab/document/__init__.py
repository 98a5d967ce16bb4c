"""Documents a researcher writes (protocols, instruments, effects models): YAML read with every node's
position, validated against a model, every problem located and worded for a psychologist."""
