"""Looking at any image: its findings (`imgexp inspect`), what changed between two (`imgexp diff`),
and a size budget for CI (`imgexp check`)."""
