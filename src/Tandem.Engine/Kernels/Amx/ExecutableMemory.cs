using System.Runtime.InteropServices;

namespace Tandem.Engine.Kernels.Amx;

/// <summary>
/// A page of machine code: mapped writable, filled, then made read-only and executable, and kept
/// for the life of the process (kernels are few and small).
/// </summary>
internal static unsafe partial class ExecutableMemory
{
    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    private const int MapPrivate = 2, MapAnonymous = 0x20;

    /// <summary>Copies <paramref name="code"/> into a new executable mapping and returns its address.</summary>
    public static byte* Place(ReadOnlySpan<byte> code)
    {
        var length = (nuint)((code.Length + 4095) & ~4095);
        var page = Mmap(0, length, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (page == -1)
        {
            throw new InvalidOperationException($"mmap of {length} bytes for machine code failed (errno {Marshal.GetLastPInvokeError()})");
        }

        code.CopyTo(new Span<byte>((void*)page, code.Length));
        if (Mprotect(page, length, ProtRead | ProtExec) != 0)
        {
            throw new InvalidOperationException($"mprotect of the machine-code page failed (errno {Marshal.GetLastPInvokeError()})");
        }

        return (byte*)page;
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int Mprotect(nint address, nuint length, int protection);
}
