"""Emulated devices: e-Kartu Tani applet (vpcd), PIN pad and ESC/POS printer on serial ptys."""
