"""tally: count the words of stdin, as a small command-line service."""
