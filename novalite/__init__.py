"""novalite: a lean reimplementation of the OpenStack Nova compute control plane."""
