"""Farmer registry, products and HET prices, seasons, RDKK quotas, stock and policy (DESIGN §9)."""
