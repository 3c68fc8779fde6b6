"""e-Kartu Tani over PC/SC and the serial PIN pad (DESIGN §6, §7). Imports nothing of ours."""
