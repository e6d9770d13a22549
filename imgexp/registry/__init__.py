"""Images read straight from a registry's distribution API: references, the client, manifests and blobs."""
