from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).parent
version = {}
for line in (ROOT / "translator" / "__init__.py").read_text().splitlines():
    if line.startswith("__version__"):
        exec(line, version)

setup(
    name="pytrans",
    version=version["__version__"],
    description="A QEMU-style user-mode dynamic binary translator: Linux ARM32/Thumb and "
                "AArch64 programs on x86-64 Linux",
    long_description=(ROOT / "README.md").read_text() if (ROOT / "README.md").exists() else "",
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["translator", "translator.*", "frontends", "frontends.*",
                                    "benchmarks"]),
    package_data={"benchmarks": ["workloads/*.c", "src/*.c"]},
    install_requires=[
        "unicorn>=2.1,<3",
        "capstone>=5",
        "keystone-engine>=0.9.2",
        "rich>=13",
    ],
    extras_require={
        "test": ["pytest>=7", "ziglang>=0.11", "matplotlib>=3.6"],
        "bench": ["matplotlib>=3.6"],
    },
    entry_points={"console_scripts": ["pytrans=translator.cli:main"]},
    classifiers=["Programming Language :: Python :: 3", "Operating System :: POSIX :: Linux"],
)
