/*
 * A stand-in for Windows' bcryptprimitives.dll, for the Windows test lane under Wine only.
 *
 * Libraries built with Rust 1.78 or newer (among them @node-rs/argon2's Windows build) import
 * ProcessPrng from bcryptprimitives.dll, which every Windows that Electron 45 supports has
 * (Windows 10 and later) but Wine 8 (Debian 12's) does not. This gives Wine the one function,
 * from the same random source (RtlGenRandom). It is installed into the test lane's Wine prefix by
 * scripts/setup-wine.sh and is never part of Hearth.
 */
#include <windows.h>

/* RtlGenRandom, which advapi32 exports as SystemFunction036. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
