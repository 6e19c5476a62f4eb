using System.Globalization;
using Microsoft.Extensions.Logging;
using Tandem.Engine.KvCache;
using Tandem.Engine.Weights;

namespace Tandem.Server.Configuration;

/// <summary>
/// Parsers for setting values, shared by the YAML file and the command line so both give the same message for the
/// same mistake. Each returns the value or an error that names the offending text; the caller adds the key path.
/// </summary>
internal static class SettingValues
{
    public static Func<string, Parsed<long>> Integer(long min, long max = long.MaxValue) => text =>
    {
        if (!long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return Parsed<long>.Fail($"expected an integer, got '{text}'");
        }

        var limitless = max >= int.MaxValue;
        if (value < min || value > max)
        {
            return Parsed<long>.Fail(!limitless ? $"must be between {min} and {max}, got {value}"
                : value < min ? $"must be at least {min}, got {value}"
                : $"must be at most {max}, got {value}");
        }

        return Parsed<long>.Ok(value);
    };

    /// <summary>An integer that must be 1 because the feature it would enable does not exist (parallelism, beam search).</summary>
    public static Func<string, Parsed<long>> One(string feature) => text =>
    {
        var parsed = Integer(1)(text);
        return parsed.Error is null && parsed.Value > 1
            ? Parsed<long>.Fail($"{feature} is not supported yet (each Tandem worker runs on one machine's CPU); use 1, got {parsed.Value}")
            : parsed;
    };

    public static Parsed<double> Fraction(string text)
    {
        if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            return Parsed<double>.Fail($"expected a number, got '{text}'");
        }

        return value is > 0 and <= 1
            ? Parsed<double>.Ok(value)
            : Parsed<double>.Fail($"must be a fraction greater than 0 and at most 1, got {value.ToString(CultureInfo.InvariantCulture)}");
    }

    public static Parsed<long> Size(string text) =>
        ByteSize.TryParse(text, out var bytes, out var error) ? Parsed<long>.Ok(bytes) : Parsed<long>.Fail(error);

    /// <summary>YAML 1.1 booleans, as PyYAML reads TensorRT-LLM's files.</summary>
    public static Parsed<bool> Boolean(string text) => text.Trim().ToLowerInvariant() switch
    {
        "true" or "yes" or "on" => Parsed<bool>.Ok(true),
        "false" or "no" or "off" => Parsed<bool>.Ok(false),
        _ => Parsed<bool>.Fail($"expected true or false, got '{text}'"),
    };

    public static Parsed<string> Text(string text) =>
        string.IsNullOrWhiteSpace(text) ? Parsed<string>.Fail("must not be empty") : Parsed<string>.Ok(text);

    public static Parsed<string> Backend(string text) => text.Trim().ToLowerInvariant() switch
    {
        "pytorch" or "tandem" => Parsed<string>.Ok(text.Trim().ToLowerInvariant()),
        "tensorrt" or "trt" or "_autodeploy" => Parsed<string>.Fail(
            $"backend '{text}' is not available: Tandem has one backend, its CPU engine; use pytorch (TensorRT-LLM's default, accepted as a name for it) or tandem"),
        _ => Parsed<string>.Fail($"unknown backend '{text}'; use pytorch or tandem"),
    };

    /// <summary>
    /// <c>kv_cache_config.dtype</c> values TensorRT-LLM takes for GPU caches (fp8, nvfp4, int8, float16), which Tandem
    /// accepts with a warning and keeps float32; see <see cref="KvCacheDType(string)"/> for the ones it stores.
    /// </summary>
    public static bool IsGpuKvCacheDType(string text) => text.Trim().ToLowerInvariant() is "fp8" or "nvfp4" or "int8" or "float16" or "fp16" or "half";

    public static Parsed<KvCacheDType> KvCacheDType(string text) => KvCacheDTypes.Parse(text) is { } dtype
        ? Parsed<KvCacheDType>.Ok(dtype)
        : Parsed<KvCacheDType>.Fail($"unknown KV cache dtype '{text}'; use {KvCacheDTypes.Accepted}");

    public static Parsed<WeightQuantization> Quantization(string text) => WeightQuantizations.TryParse(text, out var quantization)
        ? Parsed<WeightQuantization>.Ok(quantization)
        : Parsed<WeightQuantization>.Fail($"unknown quantization '{text}'; use {WeightQuantizations.Names}");

    public static Parsed<ServerRole> Role(string text) => text.Trim().ToLowerInvariant() switch
    {
        "context" => Parsed<ServerRole>.Ok(ServerRole.Context),
        "generation" => Parsed<ServerRole>.Ok(ServerRole.Generation),
        "both" => Parsed<ServerRole>.Ok(ServerRole.Both),
        "prefill" or "decode" => Parsed<ServerRole>.Fail(
            $"unknown role '{text}'; use context, generation or both (the prefill phase is called context, the decode phase generation)"),
        _ => Parsed<ServerRole>.Fail($"unknown role '{text}'; use context, generation or both"),
    };

    public static Parsed<LogLevel> Level(string text) => text.Trim().ToLowerInvariant() switch
    {
        "trace" => Parsed<LogLevel>.Ok(LogLevel.Trace),
        "debug" => Parsed<LogLevel>.Ok(LogLevel.Debug),
        "info" => Parsed<LogLevel>.Ok(LogLevel.Information),
        "warning" => Parsed<LogLevel>.Ok(LogLevel.Warning),
        "error" => Parsed<LogLevel>.Ok(LogLevel.Error),
        _ => Parsed<LogLevel>.Fail($"unknown log level '{text}'; use trace, debug, info, warning or error"),
    };

    public static Parsed<CacheTransceiverBackend> TransceiverBackend(string text) => text.Trim().ToUpperInvariant() switch
    {
        "DEFAULT" => Parsed<CacheTransceiverBackend>.Ok(CacheTransceiverBackend.Default),
        "TCP" => Parsed<CacheTransceiverBackend>.Ok(CacheTransceiverBackend.Tcp),
        "UCX" or "NIXL" or "MPI" or "MOONCAKE" => Parsed<CacheTransceiverBackend>.Fail(
            $"backend '{text}' is not supported; Tandem's transfer backends are DEFAULT and TCP (UCX, NIXL, MPI and MOONCAKE are TensorRT-LLM's GPU transports)"),
        _ => Parsed<CacheTransceiverBackend>.Fail($"unknown backend '{text}'; the supported backends are DEFAULT and TCP"),
    };

    public static Parsed<KvTransferFailurePolicy> FailurePolicy(string text) => text.Trim().ToLowerInvariant() switch
    {
        "recompute" => Parsed<KvTransferFailurePolicy>.Ok(KvTransferFailurePolicy.Recompute),
        "fail" => Parsed<KvTransferFailurePolicy>.Ok(KvTransferFailurePolicy.Fail),
        _ => Parsed<KvTransferFailurePolicy>.Fail($"unknown policy '{text}'; use recompute or fail"),
    };
}
