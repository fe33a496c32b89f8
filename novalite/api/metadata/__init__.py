"""The metadata API served to guests on 8775."""
