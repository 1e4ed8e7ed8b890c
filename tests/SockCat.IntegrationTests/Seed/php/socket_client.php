<?php
// The seed's socket-extension client, as written, with its lost backslashes restored ("n" -> "\n", "rn" -> "\r\n").
// Added: host, port and message from argv (the seed's values by default), so tests can aim it at a local server.
//   php socket_client.php [HOST] [PORT] [MESSAGE]
$host = $argv[1] ?? '74.125.235.20';
$port = (int)($argv[2] ?? 80);

if(!($sock = socket_create(AF_INET, SOCK_STREAM, 0)))
{
    perror("Could not create socket");
}

echo "Socket created \n";

//Connect socket to remote server
if(!socket_connect($sock , $host , $port))
{
    perror("Could not connect");
}

echo "Connection established \n";

$message = $argv[3] ?? "GET / HTTP/1.1\r\n\r\n";

//Send the message to the server
if( ! socket_send ( $sock , $message , strlen($message) , 0))
{
    perror("Could not send data");
}

echo "Message send successfully \n";

//Now receive reply from server
if(socket_recv ( $sock , $buf , 500 , MSG_WAITALL ) === FALSE)
{
    perror("Could not receive data");
}

echo $buf;

///Function to print socket error message
function perror($msg)
{
    $errorcode = socket_last_error();
    $errormsg = socket_strerror($errorcode);

    die("$msg: [$errorcode] $errormsg \n");
}
