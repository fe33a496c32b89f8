"""Image service options."""

from oslo_config import cfg

image_group = cfg.OptGroup('image', title='Image service options')

image_opts = [
    cfg.StrOpt('backend', default='file', choices=['file'],
               help='Where images come from. ``file``: a directory on a '
                    'shared or local path.'),
    cfg.StrOpt('images_path', default='$state_path/images',
               help='Directory of the ``file`` backend: one data file and '
                    'one JSON metadata file per image.'),
    cfg.IntOpt('image_cache_manager_interval', default=2400, min=-1,
               help='Seconds between runs of the base-image cache cleaner '
                    '(the compute manager\'s periodic task). 0: every 60 s; '
                    '-1: never.'),
    cfg.IntOpt('remove_unused_original_minimum_age_seconds', default=86400,
               min=0,
               help='Age after which an unused cached base image is '
                    'removed.'),
]


def register_opts(conf):
    conf.register_group(image_group)
    conf.register_opts(image_opts, group=image_group)


def list_opts():
    return {image_group: image_opts}
