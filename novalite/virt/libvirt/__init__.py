"""novalite.virt.libvirt: the libvirt (QEMU/KVM) compute driver."""

from novalite.virt.libvirt.driver import LibvirtDriver  # noqa: F401
