"""novalite-compute: instance lifecycle on one host through a virt driver."""

from novalite.cmd import common


def main():
    common.serve_rpc('novalite-compute', 'compute',
                     'novalite.compute.manager.ComputeManager')
