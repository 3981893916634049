"""The {{ cookiecutter.package_name }} package: data contract, pipeline stages and CLI."""

__version__ = "0.1.0"
