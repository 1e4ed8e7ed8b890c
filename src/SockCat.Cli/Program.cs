using SockCat.Cli;

return await SockCatCommand.InvokeAsync(args);
