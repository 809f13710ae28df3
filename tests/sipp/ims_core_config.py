"""The reference IMS core's configuration files (wimpu-hss, wimpu-ei-cscf, wimpu-s-cscf over
Diameter, the eI-CSCF's W4 in Redis), shared by tests/sipp/run_ims.py and bench/calls/run_calls.py
so that the test and the benchmark run the same core. Python 3 standard library only.

Every function returns the text of one TOML file; the caller writes it and starts the process.
Diameter identities: hss.example, icscf.example, scscf.example, realm "example"."""
import hashlib


def ha1(user, realm, password):
    """SIP Digest HA1 = MD5(user:realm:password) (RFC 2617 §3.2.2.2), as the HSS stores it."""
    return hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()


def block_subscriber(block_domain, block_impu, wildcard_impu):
    """The HSS subscriber of a wIMPU block (private identity block@<domain>): its distinct IMPU
    and the wildcarded IMPU in one implicit set (TS 23.003 §13.4). The eP-CSCF registers it as a
    trusted node (auth-done), so the HA1 is never used."""
    impi = f"block@{block_domain}"
    return f"""[[subscriber]]
impi = "{impi}"
realm = "{block_domain}"
ha1 = "{ha1(impi, block_domain, 'unused')}"
  [[subscriber.implicit_set]]
  public_identities = ["{block_impu}", "{wildcard_impu}"]
"""


def hss_toml(hss_port):
    """wimpu-hss: Diameter server on 127.0.0.1:hss_port for both CSCFs."""
    return f"""
[diameter]
identity = "hss.example"
realm = "example"
port = {hss_port}
accept_peers = ["icscf.example", "scscf.example"]
state_dir = "hss-state"
[hss]
subscribers = "subscribers.toml"
"""


def diameter_client(identity, hss_port, timeout_ms):
    """The [diameter] and [hss] tables of a CSCF that asks the HSS over Cx."""
    name = identity.split(".", 1)[0]
    return f"""[diameter]
identity = "{identity}"
state_dir = "{name}-state"
realm = "example"
tc_timer = 1
[[diameter.peer]]
identity = "hss.example"
address = "127.0.0.1"
port = {hss_port}
[hss]
realm = "example"
timeout_ms = {timeout_ms}
"""
