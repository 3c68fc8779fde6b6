"""BPJS Ketenagakerjaan host-to-host link after Bank Indonesia's SNAP (DESIGN §8)."""
