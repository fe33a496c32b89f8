"""novalite-consoleauth: issues and checks console tokens."""

from novalite.cmd import common


def main():
    common.serve_rpc('novalite-consoleauth', 'consoleauth',
                     'novalite.consoleauth.manager.ConsoleAuthManager')
