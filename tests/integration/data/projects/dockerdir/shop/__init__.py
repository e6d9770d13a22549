"""shop: a front page whose product names are HTML-escaped with markupsafe's C speedups."""
