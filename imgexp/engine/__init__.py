"""Build: the Docker engine side of an experiment.

Connecting to the engine, resolving base images (official or offline stand-ins), making the
build context, building each strategy's image and verifying it inside a container.
"""
