namespace Tandem.Server.Configuration;

/// <summary>
/// The <c>tandem serve</c> command line as typed: raw text, null where a flag is absent. The loader parses and
/// checks every value, so a bad flag is reported beside the YAML file's problems.
/// </summary>
public sealed record ServeFlags
{
    public string? Model { get; init; }

    public string? Host { get; init; }

    public string? Port { get; init; }

    public string? Backend { get; init; }

    public string? Tokenizer { get; init; }

    public string? ChatTemplate { get; init; }

    public string? MaxBatchSize { get; init; }

    public string? MaxNumTokens { get; init; }

    public string? MaxSeqLen { get; init; }

    public string? KvCacheMemory { get; init; }

    public string? KvCacheFreeGpuMemoryFraction { get; init; }

    public string? KvCacheDType { get; init; }

    public string? Threads { get; init; }

    public string? Quantization { get; init; }

    /// <summary>Path of the YAML file (<c>--config</c> / <c>--extra_llm_api_options</c>).</summary>
    public string? Config { get; init; }

    public string? ServerRole { get; init; }

    public string? ApiKey { get; init; }

    public string? LogLevel { get; init; }

    public string? ServedModelName { get; init; }
}
