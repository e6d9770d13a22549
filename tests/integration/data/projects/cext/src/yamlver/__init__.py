"""yamlver: an HTTP service answering with the version of the libyaml its C extension links."""
