"""Curators answer parents within the deadline (``CHAT_ANSWER_DEADLINE_HOURS``, 72 by default).

A parent's message to a curator — in their direct chat, or mentioning the curator in a parents'
chat — opens a :class:`~chat.sla.models.Question`; the curator's answer in that room closes it
(rules in :mod:`chat.sla.clock`). :mod:`chat.sla.queries` lists what is due and reports how
quickly each curator answers; ``manage.py chat_sla_check`` (cron) notifies curators.
"""
