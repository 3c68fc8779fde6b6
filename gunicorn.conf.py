"""gunicorn settings for `make serve` (DESIGN §3: gthread workers; no request blocks long)."""

import multiprocessing
import os

bind = os.environ.get("KIOSK_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("KIOSK_WEB_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("KIOSK_WEB_THREADS", 4))
timeout = 30
graceful_timeout = 10
accesslog = "-"
# No query strings in the access log: they may carry identifiers.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
