"""Fencing as the nodes report it: the fencer's history and SBD's disk and settings.

Pure parsing, no I/O, of what probes read on a node:

- `stonith_admin --history '*' --output-as=xml` (or the <fence_history> of crm_mon): who
  fenced whom, how, and whether it worked;
- `sbd -d DEV dump` (the header: slots and timeouts) and `sbd -d DEV list` (one line per
  slot: node and pending message), as sbd 1.5 prints them;
- /etc/default/sbd (shell-style KEY=value lines).

Whatever a node sent is untrusted: unknown lines are skipped, numbers are bounded, and a
document that does not parse is None, never an exception.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from checker.model import ModelError, parse_xml

# A timeout sbd could honour; anything else in a header is garbage, not a setting.
MAX_SBD_TIMEOUT_S = 3600
# sbd itself accepts at most 3 devices; a node's output could name any number.
MAX_SBD_DEVICES = 3
MAX_WATCHDOGS = 16


@dataclass(frozen=True)
class FenceEvent:
    action: str      # reboot | off | on
    target: str
    status: str      # success | failed | pending
    client: str      # pacemaker-controld.N when the cluster asked; stonith_admin.N for a person
    origin: str      # the node that asked
    delegate: str    # the node that did it ("a human" for stonith_admin --confirm)
    completed: str   # as Pacemaker prints it ("2026-12-02 23:15:09Z"); empty while pending

    @property
    def succeeded(self) -> bool:
        return self.status == "success"

    @property
    def asked_by_cluster(self) -> bool:
        """The cluster decided to fence (a node was lost), not a person (pcs stonith fence,
        stonith_admin): what a crash must produce."""
        return self.client.startswith("pacemaker-controld")

    @property
    def confirmed_by_hand(self) -> bool:
        """`stonith_admin --confirm`: someone swore the node was off; nothing was fenced."""
        return self.delegate == "a human"


def parse_fence_history(xml: str) -> tuple[FenceEvent, ...] | None:
    """The events of a stonith_admin/crm_mon XML result, newest first as Pacemaker lists
    them; None when the text is not such a result."""
    try:
        root = parse_xml(xml, "histórico de fencing")
    except ModelError:
        return None
    if root.tag != "pacemaker-result":
        return None
    status = root.find("status")
    if status is not None and status.get("code", "0") != "0":
        return None  # "Could not connect to fencer": no history read, not an empty one
    return tuple(
        FenceEvent(*(event.get(name, "") for name in
                     ("action", "target", "status", "client", "origin", "delegate",
                      "completed")))
        for event in root.iter("fence_event"))


@dataclass(frozen=True)
class SbdHeader:
    version: str
    slots: int
    watchdog_s: int
    allocate_s: int
    loop_s: int
    msgwait_s: int


_HEADER_LINE = re.compile(r"^(?P<key>[A-Za-z ()]+?)\s*:\s*(?P<value>\S+)\s*$")
_HEADER_KEYS = {"Header version": "version", "Number of slots": "slots",
                "Timeout (watchdog)": "watchdog_s", "Timeout (allocate)": "allocate_s",
                "Timeout (loop)": "loop_s", "Timeout (msgwait)": "msgwait_s"}


def parse_sbd_dump(text: str) -> SbdHeader | None:
    """The header of `sbd -d DEV dump`; None when the disk was unreadable or not an SBD
    device ("==Header on disk ... NOT dumped")."""
    if "NOT dumped" in text:
        return None
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = _HEADER_LINE.match(line)
        if match and match["key"] in _HEADER_KEYS:
            found[_HEADER_KEYS[match["key"]]] = match["value"]
    if set(found) != set(_HEADER_KEYS.values()):
        return None
    numbers = {}
    for key in ("slots", "watchdog_s", "allocate_s", "loop_s", "msgwait_s"):
        value = found[key]
        if not value.isdigit() or int(value) > (255 if key == "slots" else MAX_SBD_TIMEOUT_S):
            return None
        numbers[key] = int(value)
    return SbdHeader(version=found["version"][:16], **numbers)


@dataclass(frozen=True)
class SbdSlot:
    number: int
    node: str
    message: str   # clear, test, reset, off, crashdump, exit
    sender: str


def parse_sbd_list(text: str) -> tuple[SbdSlot, ...] | None:
    """The slots of `sbd -d DEV list`; None when sbd said it could not read them."""
    if "NOT dumped" in text or "sbd failed" in text:
        return None
    slots = []
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) < 3 or not fields[0].isdigit() or int(fields[0]) > 255:
            continue
        sender = fields[3] if len(fields) > 3 else ""
        slots.append(SbdSlot(int(fields[0]), fields[1], fields[2], sender))
    return tuple(slots)


def parse_sbd_config(text: str) -> dict[str, str]:
    """The SBD_* settings of /etc/default/sbd (or /etc/sysconfig/sbd), as sh would read
    simple assignments: comments and anything that is not KEY=value are ignored."""
    settings = {}
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("SBD_") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        if not re.fullmatch(r"SBD_[A-Z0-9_]{1,40}", key):
            continue
        try:
            words = shlex.split(raw, comments=True)
        except ValueError:
            continue
        settings[key] = " ".join(words)
    return settings


def sbd_devices(settings: dict[str, str]) -> tuple[str, ...]:
    """SBD_DEVICE is a ;-separated list of up to three devices."""
    return tuple(d.strip() for d in settings.get("SBD_DEVICE", "").split(";") if d.strip())


@dataclass(frozen=True)
class SbdDevice:
    path: str
    header: SbdHeader | None     # None: unreadable, or not initialised with sbd create
    slots: tuple[SbdSlot, ...] | None
    error: str                   # sbd's first complaint when the header could not be read


@dataclass(frozen=True)
class SbdView:
    """SBD on one node, as the `sbd` probe read it."""

    settings: dict[str, str]
    devices: tuple[SbdDevice, ...]
    bad_devices: int             # SBD_DEVICE entries that are not a /dev path
    watchdogs: tuple[str, ...]   # the kernel's watchdog drivers (identity), e.g. "softdog"
    running: bool                # an sbd process on the node

    @property
    def configured(self) -> bool:
        return bool(self.settings.get("SBD_DEVICE"))


def parse_sbd_probe(text: str) -> SbdView:
    """The `sbd` probe's lines: c|config, device, d|dump, l|list, watchdog, running."""
    config: list[str] = []
    devices: list[SbdDevice] = []
    current: str | None = None
    dump: list[str] = []
    listing: list[str] = []
    bad = 0
    watchdogs: list[str] = []
    running = False

    def close() -> None:
        if current is None or len(devices) >= MAX_SBD_DEVICES:
            return
        dump_text, list_text = "\n".join(dump), "\n".join(listing)
        header = parse_sbd_dump(dump_text)
        slots = parse_sbd_list(list_text) if header is not None else None
        error = "" if header is not None else next(
            (line for line in dump if line and not line.startswith(("==Dumping", "@rc"))), "")
        devices.append(SbdDevice(current, header, slots, error[:200]))

    for line in text.splitlines():
        if line.startswith("c|"):
            config.append(line[2:])
        elif line.startswith("device\t"):
            close()
            current, dump, listing = line.split("\t", 1)[1][:256], [], []
        elif line.startswith("d|"):
            dump.append(line[2:])
        elif line.startswith("l|"):
            listing.append(line[2:])
        elif line == "baddevice":
            bad += 1
        elif line.startswith("watchdog\t"):
            parts = line.split("\t")
            if len(parts) == 3 and len(watchdogs) < MAX_WATCHDOGS:
                watchdogs.append(parts[2][:100])
        elif line == "running":
            running = True
    close()
    return SbdView(parse_sbd_config("\n".join(config)), tuple(devices), bad, tuple(watchdogs),
                   running)
