using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Tandem.Contracts.Tests;

public class ResponseJsonTests
{
    private static readonly ContractsJsonContext Json = ContractsJsonContext.Default;

    /// <summary>Checks the exact text, then that reading it back and writing again gives the same text.</summary>
    private static void AssertGolden<T>(T value, JsonTypeInfo<T> typeInfo, string expected)
        where T : class
    {
        var written = JsonSerializer.Serialize(value, typeInfo);
        Assert.Equal(expected, written);
        var reread = JsonSerializer.Deserialize(written, typeInfo);
        Assert.NotNull(reread);
        Assert.Equal(expected, JsonSerializer.Serialize(reread, typeInfo));
    }

    [Fact]
    public void Completion_response()
    {
        var response = new CompletionResponse
        {
            Id = "cmpl-1",
            Created = 1700000000,
            Model = "stories260K",
            Choices = [new CompletionChoice { Index = 0, Text = " there was", FinishReason = FinishReason.Length }],
            Usage = Usage.Create(5, 2),
        };

        AssertGolden(response, Json.CompletionResponse,
            """{"id":"cmpl-1","object":"text_completion","created":1700000000,"model":"stories260K","choices":[{"index":0,"text":" there was","logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7,"prompt_tokens_details":{"cached_tokens":0}}}""");
    }

    [Fact]
    public void Completion_response_with_logprobs()
    {
        var response = new CompletionResponse
        {
            Id = "cmpl-2",
            Created = 1,
            Model = "m",
            Choices =
            [
                new CompletionChoice
                {
                    Index = 0,
                    Text = "Once upon",
                    FinishReason = FinishReason.Stop,
                    Logprobs = new CompletionLogprobs
                    {
                        Tokens = ["Once", " upon"],
                        TokenLogprobs = [null, -0.25f],
                        TopLogprobs = [null, new Dictionary<string, float> { [" upon"] = -0.25f, [" a"] = -1.5f }],
                        TextOffset = [0, 4],
                    },
                },
            ],
            Usage = Usage.Create(1, 1),
        };

        AssertGolden(response, Json.CompletionResponse,
            """{"id":"cmpl-2","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"Once upon","logprobs":{"tokens":["Once"," upon"],"token_logprobs":[null,-0.25],"top_logprobs":[null,{" upon":-0.25," a":-1.5}],"text_offset":[0,4]},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"prompt_tokens_details":{"cached_tokens":0}}}""");
    }

    [Fact]
    public void Context_only_completion_response_carries_disaggregated_params_and_prompt_token_ids()
    {
        var response = new CompletionResponse
        {
            Id = "cmpl-3",
            Created = 2,
            Model = "m",
            Choices =
            [
                new CompletionChoice
                {
                    Index = 0,
                    Text = " there",
                    FinishReason = FinishReason.NotFinished,
                    DisaggregatedParams = new DisaggregatedParams
                    {
                        RequestType = DisaggregatedRequestType.ContextOnly,
                        FirstGenTokens = [727],
                        CtxRequestId = 1099511627777,
                        EncodedOpaqueState = "AQID",
                    },
                },
            ],
            Usage = Usage.Create(4, 1, cachedTokens: 2),
            PromptTokenIds = [1, 9038, 2501, 263],
        };

        AssertGolden(response, Json.CompletionResponse,
            """{"id":"cmpl-3","object":"text_completion","created":2,"model":"m","choices":[{"index":0,"text":" there","logprobs":null,"finish_reason":"not_finished","disaggregated_params":{"request_type":"context_only","first_gen_tokens":[727],"ctx_request_id":1099511627777,"encoded_opaque_state":"AQID"}}],"usage":{"prompt_tokens":4,"completion_tokens":1,"total_tokens":5,"prompt_tokens_details":{"cached_tokens":2}},"prompt_token_ids":[1,9038,2501,263]}""");
    }

    [Fact]
    public void Completion_chunk()
    {
        var chunk = new CompletionChunk
        {
            Id = "cmpl-4",
            Created = 3,
            Model = "m",
            Choices = [new CompletionChoice { Index = 0, Text = "Once" }],
        };

        AssertGolden(chunk, Json.CompletionChunk,
            """{"id":"cmpl-4","object":"text_completion","created":3,"model":"m","choices":[{"index":0,"text":"Once","logprobs":null,"finish_reason":null}]}""");
    }

    [Fact]
    public void Chat_response_with_logprobs_and_recomputed_transfer()
    {
        var response = new ChatCompletionResponse
        {
            Id = "chatcmpl-1",
            Created = 4,
            Model = "m",
            Choices =
            [
                new ChatChoice
                {
                    Index = 0,
                    Message = new ChatResponseMessage { Content = "Hi" },
                    FinishReason = FinishReason.Stop,
                    Logprobs = new ChatLogprobs
                    {
                        Content =
                        [
                            new ChatTokenLogprob
                            {
                                Token = "Hi",
                                Logprob = -0.5f,
                                Bytes = [72, 105],
                                TopLogprobs = [new ChatTopLogprob { Token = "Hi", Logprob = -0.5f, Bytes = [72, 105] }, new ChatTopLogprob { Token = "Hey", Logprob = -1f }],
                            },
                        ],
                    },
                    DisaggregatedParams = new DisaggregatedParams
                    {
                        RequestType = DisaggregatedRequestType.GenerationOnly,
                        KvTransfer = KvTransferOutcomes.Recomputed,
                    },
                },
            ],
            Usage = Usage.Create(3, 1),
        };

        AssertGolden(response, Json.ChatCompletionResponse,
            """{"id":"chatcmpl-1","object":"chat.completion","created":4,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"logprobs":{"content":[{"token":"Hi","logprob":-0.5,"bytes":[72,105],"top_logprobs":[{"token":"Hi","logprob":-0.5,"bytes":[72,105]},{"token":"Hey","logprob":-1,"bytes":null}]}]},"finish_reason":"stop","disaggregated_params":{"request_type":"generation_only","kv_transfer":"recomputed"}}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4,"prompt_tokens_details":{"cached_tokens":0}}}""");
    }

    [Fact]
    public void Chat_chunks_first_content_and_final_usage()
    {
        var first = new ChatCompletionChunk
        {
            Id = "chatcmpl-2",
            Created = 5,
            Model = "m",
            Choices = [new ChatChunkChoice { Index = 0, Delta = new ChatDelta { Role = "assistant", Content = "" } }],
        };
        var content = first with { Choices = [new ChatChunkChoice { Index = 0, Delta = new ChatDelta { Content = "Hi" }, FinishReason = FinishReason.Stop }] };
        var usage = first with { Choices = [], Usage = Usage.Create(3, 1) };

        AssertGolden(first, Json.ChatCompletionChunk,
            """{"id":"chatcmpl-2","object":"chat.completion.chunk","created":5,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}""");
        AssertGolden(content, Json.ChatCompletionChunk,
            """{"id":"chatcmpl-2","object":"chat.completion.chunk","created":5,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}""");
        AssertGolden(usage, Json.ChatCompletionChunk,
            """{"id":"chatcmpl-2","object":"chat.completion.chunk","created":5,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4,"prompt_tokens_details":{"cached_tokens":0}}}""");
    }

    [Fact]
    public void Model_list()
    {
        var list = new ModelList { Data = [new ModelCard { Id = "stories260K", Created = 6, OwnedBy = "tandem" }] };

        AssertGolden(list, Json.ModelList,
            """{"object":"list","data":[{"id":"stories260K","object":"model","created":6,"owned_by":"tandem"}]}""");
    }

    [Fact]
    public void Text_escapes_stay_valid_json()
    {
        var chunk = new CompletionChunk { Id = "c", Created = 0, Model = "m", Choices = [new CompletionChoice { Index = 0, Text = "a\n\"b\"" }] };

        var written = JsonSerializer.Serialize(chunk, Json.CompletionChunk);

        Assert.Contains("""
            "text":"a\n\u0022b\u0022"
            """, written, StringComparison.Ordinal);
        Assert.Equal("a\n\"b\"", JsonSerializer.Deserialize(written, Json.CompletionChunk)!.Choices[0].Text);
    }
}
