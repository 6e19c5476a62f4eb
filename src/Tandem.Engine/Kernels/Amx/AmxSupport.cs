using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Tandem.Engine.Kernels.Amx;

/// <summary>
/// Whether this process may run Intel AMX tile instructions (AMX-TILE and AMX-BF16: Sapphire Rapids
/// and later Xeons). Three things must hold: the CPU reports them (CPUID leaf 7), the Linux kernel
/// saves tile data across context switches (<c>ARCH_GET_XCOMP_SUPP</c> has XTILEDATA), and the
/// process asked for and got permission to use it (<c>ARCH_REQ_XCOMP_PERM</c>, once per process).
/// Setting the environment variable <c>TANDEM_AMX=0</c> turns it off (the AVX-512 kernels run
/// instead). .NET 10 has no AMX intrinsics, so the tile kernels are short machine-code routines
/// (<see cref="AmxBf16Kernel"/>).
/// </summary>
internal static partial class AmxSupport
{
    private const long SysArchPrctl = 158;
    private const long ArchGetXcompSupp = 0x1021;
    private const long ArchReqXcompPerm = 0x1023;
    private const int XFeatureTileData = 18;

    private static readonly Lazy<(bool Available, string Reason)> s_probe = new(Probe);

    /// <summary>True when the BF16 tile kernel may run in this process.</summary>
    public static bool IsAvailable => s_probe.Value.Available;

    /// <summary>Why AMX is or is not used, for the start-up log.</summary>
    public static string Reason => s_probe.Value.Reason;

    private static (bool, string) Probe()
    {
        if (Environment.GetEnvironmentVariable("TANDEM_AMX") is "0" or "off" or "false")
        {
            return (false, "AMX off (TANDEM_AMX=0)");
        }

        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 || !X86Base.IsSupported)
        {
            return (false, "AMX needs Linux on x86-64");
        }

        var (_, _, _, edx) = X86Base.CpuId(7, 0);
        const int Bf16 = 1 << 22, Tile = 1 << 24;
        if ((edx & (Bf16 | Tile)) != (Bf16 | Tile))
        {
            return (false, "the CPU has no AMX-BF16");
        }

        ulong features = 0;
        unsafe
        {
            if (Syscall(SysArchPrctl, ArchGetXcompSupp, (nint)(&features)) != 0 || (features & (1UL << XFeatureTileData)) == 0)
            {
                return (false, "the kernel does not save AMX tile data");
            }
        }

        if (Syscall(SysArchPrctl, ArchReqXcompPerm, XFeatureTileData) != 0)
        {
            return (false, $"the kernel refused AMX to this process (errno {Marshal.GetLastPInvokeError()})");
        }

        return (true, "AMX-BF16 tiles for BF16 weights");
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long arg1, nint arg2);
}
