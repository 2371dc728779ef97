# Stand-in for the get-pip.py that ansible-test downloads from
# ci-files.testing.ansible.com, a host this machine (and CI) cannot reach.
# ansible-test runs it inside each fresh sanity venv with pip's arguments
# (e.g. "pip==25.2 --no-setuptools --no-wheel"); we seed pip from the
# interpreter's bundled ensurepip, then let that pip install the requested
# version from the package index.
import subprocess
import sys

args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, "-m", "pip", "install", *args])
