"""One swipe, one atomic transaction: the checkout state machine, its steps and its recovery."""
