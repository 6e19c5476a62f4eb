using Microsoft.Extensions.Logging;
using Tandem.Engine.ChatTemplates;
using Tandem.Engine.Execution;
using Tandem.Engine.Gguf;
using Tandem.Engine.Hub;
using Tandem.Engine.Models;
using Tandem.Engine.Tokenization;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Runtime;

/// <summary>
/// Everything needed to serve one model on this machine: its directory (resolved from a path or a
/// Hugging Face repo id), config, weights, tokenizer, chat template, and the running engine.
/// </summary>
public sealed partial class LocalModel : IAsyncDisposable
{
    private readonly LlamaWeights _weights;

    private LocalModel(string directory, ModelConfig config, LlamaWeights weights, Tokenizer tokenizer, ChatTemplate chatTemplate, bool hasOwnTemplate, InferenceEngine engine, string fingerprint, string? quantizationNote, string? matrixUnitsNote)
    {
        QuantizationNote = quantizationNote;
        MatrixUnitsNote = matrixUnitsNote;
        Directory = directory;
        Config = config;
        _weights = weights;
        Tokenizer = tokenizer;
        ChatTemplate = chatTemplate;
        HasOwnChatTemplate = hasOwnTemplate;
        Engine = engine;
        Fingerprint = fingerprint;
    }

    public string Directory { get; }

    public ModelConfig Config { get; }

    public Tokenizer Tokenizer { get; }

    public ChatTemplate ChatTemplate { get; }

    /// <summary>False when the model has no chat template and <see cref="ChatTemplates.ChatTemplate.Fallback"/> is used.</summary>
    public bool HasOwnChatTemplate { get; }

    public InferenceEngine Engine { get; }

    /// <summary>The weights' identity; with load-time quantization, suffixed by its name (the KV cache differs).</summary>
    public string Fingerprint { get; }

    /// <summary>What <see cref="EngineOptions.Quantization"/> quantized and what it kept as stored; null without quantization.</summary>
    public string? QuantizationNote { get; }

    /// <summary>Which BF16 matrices run on AMX tiles, or why none do; null for a model without BF16 matrices.</summary>
    public string? MatrixUnitsNote { get; }

    public static async Task<LocalModel> LoadAsync(
        string modelArgument,
        EngineOptions options,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        IProgress<DownloadProgress>? downloadProgress = null,
        string? tokenizerDirectory = null,
        string? chatTemplateFile = null,
        CancellationToken cancellationToken = default)
    {
        if (File.Exists(modelArgument) && modelArgument.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            return Load(modelArgument, options, loggerFactory, timeProvider, tokenizerDirectory, chatTemplateFile);
        }

        var directory = await ModelLocator.ResolveAsync(modelArgument, new HubOptions(), downloadProgress, cancellationToken).ConfigureAwait(false);
        return Load(directory, options, loggerFactory, timeProvider, tokenizerDirectory, chatTemplateFile);
    }

    /// <summary>
    /// Loads a model from a local directory in Hugging Face layout, or from a GGUF file. The tokenizer
    /// and chat template come from <paramref name="tokenizerDirectory"/> when given, else from the
    /// model: its directory, or the GGUF file's own <c>tokenizer.ggml.*</c> and <c>tokenizer.chat_template</c> metadata.
    /// </summary>
    public static LocalModel Load(string directory, EngineOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, string? tokenizerDirectory = null, string? chatTemplateFile = null)
    {
        var gguf = File.Exists(directory) && directory.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);
        ArgumentNullException.ThrowIfNull(options);
        var (config, weights) = gguf ? GgufModel.Load(directory) : LoadSafetensors(directory);
        string? note;
        string? amxNote;
        try
        {
            (weights, note) = LoadTimeQuantizer.Apply(weights, options.Quantization);
            (weights, amxNote) = AmxPlacement.Apply(weights);
            string? copyNote;
            (weights, copyNote) = ResidentCopy.Apply(weights);
            amxNote = copyNote is null ? amxNote : amxNote is null ? copyNote : $"{amxNote}; {copyNote}";
        }
        catch
        {
            weights.Dispose();
            throw;
        }

        var logger = loggerFactory?.CreateLogger<LocalModel>();
        if (note is not null && logger is not null)
        {
            LocalModelLog.Quantized(logger, note);
        }

        if (amxNote is not null && logger is not null)
        {
            LocalModelLog.MatrixUnits(logger, amxNote);
        }

        try
        {
            var (tokenizer, ownTemplate) = PromptEncoder.LoadParts(tokenizerDirectory ?? directory);
            if (gguf)
            {
                if (logger?.IsEnabled(LogLevel.Information) == true)
                {
                    LogGgufTokenizer(logger, directory, tokenizerDirectory ?? "the GGUF file's own metadata");
                }
            }

            var template = chatTemplateFile is not null ? ChatTemplate.Parse(File.ReadAllText(chatTemplateFile)) : ownTemplate;
            var fingerprint = ModelFingerprint.Compute(directory)
                + (options.Quantization == WeightQuantization.None ? "" : "-" + options.Quantization.Name());
            var engine = new InferenceEngine(config, weights, options, fingerprint, loggerFactory, timeProvider);
            return new LocalModel(directory, config, weights, tokenizer, template ?? ChatTemplate.Fallback, template is not null, engine, fingerprint, note, amxNote);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "GGUF model {Model}: tokenizer from {Source}")]
    private static partial void LogGgufTokenizer(ILogger logger, string model, string source);

    private static (ModelConfig Config, LlamaWeights Weights) LoadSafetensors(string directory)
    {
        var config = ModelConfigLoader.Load(directory);
        return (config, LlamaWeightsLoader.Load(directory, config));
    }

    /// <summary>Renders messages with the chat template and tokenizes the result (the template supplies BOS when it has one).</summary>
    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages) => PromptEncoder.EncodeChat(ChatTemplate, Tokenizer, messages);

    public bool IsEndOfSequence(int token) => Config.EosTokenIds.Contains(token) || token == Tokenizer.EosId;

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync().ConfigureAwait(false);
        _weights.Dispose();
    }
}

internal static partial class LocalModelLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "{Note}")]
    public static partial void Quantized(ILogger logger, string note);

    [LoggerMessage(Level = LogLevel.Information, Message = "matrix units: {Note}")]
    public static partial void MatrixUnits(ILogger logger, string note);
}
