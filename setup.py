"""Ships ``tunelab-nni.pth`` at the root of site-packages (pyproject.toml has no way to say that); the file
lets ``import nni`` fall back to tunelab's shim when NNI is not installed (see src/tunelab_nni_hook.py)."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "tunelab-nni.pth"


class BuildPyWithPth(build_py):
    def run(self) -> None:
        super().run()
        source = str(Path(__file__).parent / "src" / PTH)
        self.copy_file(source, str(Path(self.build_lib) / PTH))
        if getattr(self, "editable_mode", False):
            # An editable wheel is built from the install directory, not build_lib (setuptools >= 64).
            install_lib = self.get_finalized_command("install").install_lib
            self.copy_file(source, str(Path(install_lib) / PTH))


setup(cmdclass={"build_py": BuildPyWithPth})
