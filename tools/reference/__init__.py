"""Our PyTorch re-implementations of external models (VAR), used as references for goldens/tests."""
