export default async function(call){
 console.log(JSON.stringify(wirelab.methods));
 console.log(JSON.stringify(call("world"),null,1));
 const o = call("openSession",{proto:"pop3",device:"laptop"}); console.log(JSON.stringify(o));
 let r = call("feed",{session:o.session,data:"USER alice\r\nPASS wonderland\r\nSTAT\r\nDELE 1\r\n"}); console.log(JSON.stringify(r,null,1).slice(0,3000));
 const i = call("openSession",{proto:"imap",device:"phone"}); console.log(JSON.stringify(i));
 r = call("feed",{session:i.session,data:"a1 LOGIN alice wonderland\r\na2 SELECT INBOX\r\na3 STORE 1 +FLAGS (\\Deleted)\r\na4 EXPUNGE\r\n"}); console.log(JSON.stringify(r,null,1).slice(0,4000));
 const st = call("state"); console.log(JSON.stringify(st).slice(0,3000));
}
