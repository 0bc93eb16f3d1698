"""Web Push: the VAPID keys, people's push subscriptions and the endpoints a phone uses to
subscribe and unsubscribe. The channel that sends through them is ``lxp.channels.webpush``."""
