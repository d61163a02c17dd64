"""Delivery: the one place that sends.

Each sender renders a model object, claims it in the database (exactly once across replicas
and ticks), sends it through the notifier and settles or releases the claim, all through
`bot.delivery.once.deliver_once`. Reminders, publication, webhooks and drafts use it.
"""
