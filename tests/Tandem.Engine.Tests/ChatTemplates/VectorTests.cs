namespace Tandem.Engine.Tests.ChatTemplates;

public class VectorTests
{
    public static TheoryData<string> ChatTemplateVectors => TemplateVectors.Names("chat-template-vectors.json");

    public static TheoryData<string> FeatureVectors => TemplateVectors.Names("jinja-feature-vectors.json");

    [Theory]
    [MemberData(nameof(ChatTemplateVectors))]
    public void Real_chat_template_renders_as_jinja2(string name) => TemplateVectors.Check("chat-template-vectors.json", name);

    [Theory]
    [MemberData(nameof(FeatureVectors))]
    public void Jinja_feature_behaves_as_jinja2(string name) => TemplateVectors.Check("jinja-feature-vectors.json", name);
}
