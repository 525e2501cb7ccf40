"""ringsim analysis: read result files (h5py to pandas) and compare strategies."""
