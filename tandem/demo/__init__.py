"""The synthetic demo practice: seeders and the demo-only commands (no models).

Sits at the top of the layers: it imports the domain apps, and none of them
imports it. ``seed.SEED_STEPS`` lists every step in order.
"""
