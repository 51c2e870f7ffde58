"""SHA-256 of files, read in 1 MiB chunks."""
import hashlib


def sha256_file(*paths: str) -> str:
    """Hex SHA-256 over the bytes of ``paths``, in order."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 20), b''):
                digest.update(chunk)
    return digest.hexdigest()
