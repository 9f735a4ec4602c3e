#!/usr/bin/env python3
"""Makes the golden YMODEM vectors in this directory, independently of the Go
code (CRC-16/XMODEM is Python's binascii.crc_hqx with initial value 0).

    python3 gen.py          # the vectors built from the spec
    python3 gen.py lrzsz    # also capture the header lrzsz's sb sends (needs sb)
"""
import binascii, os, pty, select, subprocess, sys, tempfile, time

SOH, STX, EOT, SUB = 0x01, 0x02, 0x04, 0x1A


def frame(num, data):
    assert len(data) in (128, 1024)
    crc = binascii.crc_hqx(data, 0)
    return bytes([SOH if len(data) == 128 else STX, num, 255 - num]) + data + crc.to_bytes(2, "big")


def checksum_frame(num, data):
    return bytes([SOH, num, 255 - num]) + data + bytes([sum(data) & 0xFF])


def header(name, attrs, size=128):
    data = name + b"\0" + attrs
    return data + b"\0" * (size - len(data))


def route_csv(n):
    """The first n bytes of a route file: Chinese in UTF-8."""
    line = "0712,010101,100234,张三,金桥小区1幢1单元101,通气\n".encode()
    return (line * (n // len(line) + 1))[:n]


def write(name, b):
    with open(name, "wb") as f:
        f.write(b)


def main():
    # route.csv, 1234 bytes, mtime 1700000000 (2023-11-14T22:13:20Z), mode 0100644.
    write("header-route.bin", frame(0, header(b"route.csv", b"1234 %o 100644" % 1700000000)))
    # Figure 5 of the spec: the header sz sent for bbcsched.txt; its CRC is CA 56.
    spec = frame(0, header(b"bbcsched.txt", b"6347 3314742513 100644"))
    assert spec[-2:] == b"\xca\x56", spec[-2:].hex()
    write("header-spec-figure5.bin", spec)
    # A name and attributes longer than 128 bytes go in a 1024-byte header.
    write("header-long.bin", frame(0, header(b"r" * 120 + b".csv", b"5 0 100644", 1024)))
    write("route-1k.csv", route_csv(1024))
    write("data-1k.bin", frame(1, route_csv(1024)))
    # Block 2 holding the last 82 bytes of a file, padded with SUB.
    write("data-tail.bin", frame(2, route_csv(82) + bytes([SUB]) * (128 - 82)))
    # Block 1 in XMODEM checksum mode (the receiver started with NAK).
    write("data-checksum.bin", checksum_frame(1, route_csv(128)))
    write("eot.bin", bytes([EOT]))
    write("end-of-batch.bin", frame(0, bytes(128)))
    if sys.argv[1:] == ["lrzsz"]:
        capture_lrzsz()


def capture_lrzsz():
    """Start sb on a pty, say 'C', keep the header block, cancel."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "route.csv")
        write(path, route_csv(1234))
        os.chmod(path, 0o644)
        os.utime(path, (1700000000, 1700000000))
        master, slave = pty.openpty()
        p = subprocess.Popen(["sb", "-q", "route.csv"], cwd=d, stdin=slave, stdout=slave, stderr=subprocess.DEVNULL)
        os.close(slave)
        time.sleep(0.5)
        os.write(master, b"C")
        got = b""
        while len(got) < 133 and select.select([master], [], [], 5)[0]:
            got += os.read(master, 133 - len(got))
        os.write(master, b"\x18" * 8)
        p.wait(timeout=10)
        assert len(got) == 133, got
        write("header-lrzsz.bin", got)


main()
