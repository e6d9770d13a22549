"""A fitted linear model: y = slope * x + intercept."""

SLOPE, INTERCEPT = 2.5, -1.0


def predict(x: float) -> float:
    return SLOPE * x + INTERCEPT
