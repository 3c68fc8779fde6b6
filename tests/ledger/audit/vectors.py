"""Published reference vectors, copied verbatim from their sources (cited per block).

RFC 6962 Merkle vectors: transparency-dev/merkle, ``proof/verify_test.go`` (commit 02194e9a; the same
vectors as Google Trillian's ``merkle/testonly/reference_test_vectors.go`` and the
certificate-transparency project's C++ ``merkle_tree_test.cc``), and ``rfc6962/rfc6962_test.go``
(commit 78493b07) for the hasher.

Signed-note vectors: golang.org/x/mod, ``sumdb/note/note_test.go`` (github.com/golang/mod, commit
02c99138): the PeterNeumann and EnochRoot keys and signatures.

A production checkpoint: ``go.sum database tree`` at size 31700353, signed by sum.golang.org, from
transparency-dev/trillian-tessera ``internal/parse/parse_test.go`` (a benchmark that parses only the
body, so its copy lacks the final newline a signed note ends with: added here); its verifier key is
Go's built-in one, golang/go ``src/cmd/go/internal/modfetch/key.go``.
"""

from __future__ import annotations


def dh(hex_text: str, length: int) -> bytes:
    raw = bytes.fromhex(hex_text)
    if len(raw) != length:
        raise ValueError(f"{hex_text!r} has {len(raw)} bytes, want {length}")
    return raw


# --- transparency-dev/merkle rfc6962/rfc6962_test.go ------------------------------------------
EMPTY_TREE_HASH = dh("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 32)  # echo -n | sha256sum
EMPTY_LEAF_HASH = dh("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", 32)
LEAF_L123456_HASH = dh("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56", 32)  # leaf "L123456"
NODE_N123_N456_HASH = dh("aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb", 32)  # "N123","N456"

# --- transparency-dev/merkle proof/verify_test.go ---------------------------------------------
SHA256_SOME_HASH = dh("abacaba000000000000000000000000000000000000000000060061e00123456", 32)

LEAVES: list[bytes] = [
    dh("", 0),
    dh("00", 1),
    dh("10", 1),
    dh("2021", 2),
    dh("3031", 2),
    dh("40414243", 4),
    dh("5051525354555657", 8),
    dh("606162636465666768696a6b6c6d6e6f", 16),
]

# ROOTS[i] is the root of the tree of the first i + 1 leaves.
ROOTS: list[bytes] = [
    dh("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", 32),
    dh("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125", 32),
    dh("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77", 32),
    dh("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7", 32),
    dh("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4", 32),
    dh("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef", 32),
    dh("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c", 32),
    dh("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328", 32),
]

# (leaf, size, proof) with ``leaf`` 1-based, as in the Go source.
INCLUSION_PROOFS: list[tuple[int, int, list[bytes]]] = [
    (1, 1, []),
    (1, 8, [
        dh("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", 32),
        dh("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", 32),
        dh("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4", 32),
    ]),
    (6, 8, [
        dh("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", 32),
        dh("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", 32),
        dh("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7", 32),
    ]),
    (3, 3, [
        dh("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125", 32),
    ]),
    (2, 5, [
        dh("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", 32),
        dh("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", 32),
        dh("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", 32),
    ]),
]

# (size1, size2, proof)
CONSISTENCY_PROOFS: list[tuple[int, int, list[bytes]]] = [
    (1, 1, []),
    (1, 8, [
        dh("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", 32),
        dh("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", 32),
        dh("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4", 32),
    ]),
    (6, 8, [
        dh("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", 32),
        dh("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", 32),
        dh("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7", 32),
    ]),
    (2, 5, [
        dh("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", 32),
        dh("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", 32),
    ]),
    (6, 7, [
        dh("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", 32),
        dh("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f", 32),
        dh("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7", 32),
    ]),
]

# --- golang.org/x/mod sumdb/note/note_test.go --------------------------------------------------
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
NOTE_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)
# Go's TestSign expects exactly this output for NOTE_TEXT signed by PETER_SKEY.
PETER_SIGNED_NOTE = NOTE_TEXT + "\n" + PETER_SIG
# Go's TestNewVerifier: wrong-length key with adjusted hash; unknown algorithm with adjusted hash.
BAD_VKEYS_ADJUSTED = [
    "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
    "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
]

# --- a real checkpoint of the Go checksum database --------------------------------------------
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_ORIGIN = "go.sum database tree"
SUMDB_CHECKPOINT = (
    "go.sum database tree\n31700353\nqINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=\n\n"
    "\u2014 sum.golang.org Az3grnmrIUEDFqHzAElIQCPNoRFRAAdFo47fooyWKMHb89k11GJh5zHIfNCOBmwn/C3YI8oW9/C8DJ87F61QqspBYwM=\n"
)
