using Tandem.Engine.KvCache;

namespace Tandem.Transfer;

internal static class LayoutCheck
{
    public static string? Mismatch(KvCacheLayout remote, KvCacheLayout local) =>
        remote == local ? null : $"KV cache layout mismatch: the context server has [{remote}], this server has [{local}]";
}
