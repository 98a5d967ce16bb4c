"""Ships the example protocols with the package: the top-level protocols/ and stimuli/ folders (where the
project keeps them, and where `placebolab new --from EXAMPLE` finds them in a source checkout) are copied
into the built package as placebolab/examples/, so an installed placebolab finds them too
(authoring/scaffold.py: ``example_folder``). Everything else is configured in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

EXAMPLES = ("protocols", "stimuli")  # protocols/*.yaml, protocols/effects/, and the stimuli folders they name


class BuildWithExamples(build_py):
    def run(self):
        super().run()
        here = Path(__file__).resolve().parent
        target = Path(self.build_lib) / "placebolab" / "examples"
        for folder in EXAMPLES:
            shutil.copytree(here / folder, target / folder, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithExamples})
