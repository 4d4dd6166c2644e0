"""The content layer: the lowest layer of the package (it imports nothing above it)."""
