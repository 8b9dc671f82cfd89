// A mistake in a command's own arguments found while the command runs, whose message does not start with the option
// (which CliErrors takes as the sign): named by that command, "convnet show activations: give one image ...", as a
// refusal of its parser is.
namespace ConvNet.Cli;

public sealed class UsageException(string message) : ArgumentException(message);
