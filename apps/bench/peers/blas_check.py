"""What the PyTorch cells (train_cell_torch.py, infer_cell_torch.py) report about their BLAS: the
1024^3 sgemm rate of the sanity check and the OpenBLAS kernel in use (apps/bench/README.md, "Peer
sanity check"), and the OpenBLAS kernel name for the bench's start-up probe (src/python.ts), which
imports only `blas_core` (torch is imported where the sgemm runs)."""
import ctypes, time


def sgemm_gflops():
    """1024^3 sgemm, best of 5: (GFLOP per CPU-second of the whole process, GFLOP/s per wall-second).
    Per CPU-second counts every thread (the BLAS pool is sized by OPENBLAS_NUM_THREADS to the cell's
    threads), so it measures the BLAS kernel whatever the thread count: ~180 for OpenBLAS here, ~8
    for the reference BLAS."""
    import torch
    a, b = torch.rand(1024, 1024), torch.rand(1024, 1024)
    torch.mm(a, b)
    cpu, wall = float('inf'), float('inf')
    for _ in range(5):
        w0, c0 = time.perf_counter(), time.process_time()
        torch.mm(a, b)
        cpu, wall = min(cpu, time.process_time() - c0), min(wall, time.perf_counter() - w0)
    flop = 2 * 1024 ** 3 / 1e9
    return flop / max(cpu, 1e-6), flop / wall


def blas_core():
    """OpenBLAS's kernel in this process (openblas_get_corename), or None without OpenBLAS."""
    for path in {l.split()[-1] for l in open('/proc/self/maps') if 'libopenblas' in l.split()[-1]}:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode()
        except (OSError, AttributeError):
            pass
    return None
