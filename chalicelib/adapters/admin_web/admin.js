(function(){
"use strict";
// The page's own words (admin_web/texts.json) and the server's refusal texts, embedded as data.
var TEXTS=JSON.parse(document.getElementById("texts").textContent);
var T=TEXTS.page,REJECTIONS=TEXTS.rejections;
var lang=localStorage.getItem("admin-lang")||(navigator.language||"ru").slice(0,2);if(!T[lang])lang="ru";
var NCALAYER=document.querySelector('meta[name="ncalayer"]').content;
var token=sessionStorage.getItem("admin-token"),expires=sessionStorage.getItem("admin-expires");
var contests=[],current=null;
function $(id){return document.getElementById(id)}
function t(k){return T[lang][k]||T.ru[k]||k}
function esc(s){return String(s).replace(/[&<>"']/g,function(c){return{"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]})}
var LOCALES={kk:"kk-KZ",ru:"ru-RU",en:"en-GB"};
// Astana time, as on the voting page: one zone (UTC+5) for the whole country.
function astana(iso){if(!iso)return"—";return new Intl.DateTimeFormat(LOCALES[lang],{timeZone:"Asia/Almaty",year:"numeric",
 month:"2-digit",day:"2-digit",hour:"2-digit",minute:"2-digit",hour12:false}).format(new Date(iso))+" (UTC+5)"}
// The server's words for a refusal; the gateway's own 401/403 bodies carry none, so the catalogue's.
function refusal(status,b){var code=b.error||(status===401?"unauthorized":status===403?"forbidden":null);
 if(b.error&&b.message)return b.message;var known=REJECTIONS[code];
 return known?known.title[lang]+". "+known.message[lang]:String(status)}
function texts(){document.documentElement.lang=lang;document.querySelectorAll("[data-t]").forEach(function(e){e.textContent=t(e.dataset.t)});
 $("lang").value=lang;document.title=t("title")}
function showError(msg){$("error").textContent=msg||"";$("error").hidden=!msg}
// Paths are relative to the page (at <stage>/admin), as the voting page's: under API Gateway's
// stage prefix (…/api/admin) "admin/…" is …/api/admin/…; an absolute "/admin/…" would miss the stage.
function api(method,path,body,type){var h={"Accept-Language":lang};if(token)h.Authorization="Bearer "+token;
 if(body!==undefined)h["Content-Type"]=type||"application/json";
 return fetch(path,{method:method,headers:h,body:body}).then(function(r){
  if(r.status===401){signOut();throw new Error(t("intro"))}
  return r})}
function json(r){return r.json().catch(function(){return{}}).then(function(b){if(!r.ok){var m=refusal(r.status,b);
 if(b.problems)m+="\n"+b.problems.join("\n");throw new Error(m)}return b})}
function b64(s){return btoa(unescape(encodeURIComponent(s)))}
function signWithNcaLayer(data){return new Promise(function(resolve,reject){
 var ws;try{ws=new WebSocket(NCALAYER)}catch(e){reject(new Error(t("nolayer")));return}
 var done=false;ws.onerror=function(){if(!done){done=true;reject(new Error(t("nolayer")))}};
 ws.onopen=function(){ws.send(JSON.stringify({module:"kz.gov.pki.knca.basics",method:"sign",args:{allowedStorages:["PKCS12"],
  format:"cms",data:data,signingParams:{decode:true,encapsulate:true,digested:false},signerParams:{extKeyUsageOids:[]},
  locale:lang}}))};
 ws.onmessage=function(ev){var m;try{m=JSON.parse(ev.data)}catch(e){return}
  if(m.status===undefined)return;done=true;ws.close();
  if(m.status===true&&m.body&&m.body.result)resolve(m.body.result[0]);else reject(new Error(m.message||m.code||"NCALayer"))}})}
function signIn(){showError("");$("signin").disabled=true;$("hint").textContent=t("signing");
 api("POST","admin/challenges","{}").then(json).then(function(c){
  return signWithNcaLayer(b64(JSON.stringify({v:1,purpose:"admin-login",challenge:c.challenge})))})
 .then(function(cms){return api("POST","admin/sessions",JSON.stringify({cms:cms})).then(json)})
 .then(function(s){token=s.token;expires=s.expires_at;sessionStorage.setItem("admin-token",token);
  sessionStorage.setItem("admin-expires",expires);signedIn()})
 .catch(function(e){showError(e.message)}).then(function(){$("signin").disabled=false;$("hint").textContent=""})}
function signOut(){token=null;sessionStorage.removeItem("admin-token");sessionStorage.removeItem("admin-expires");
 $("app").hidden=true;$("login").hidden=false;$("signout").hidden=true}
function signedIn(){$("login").hidden=true;$("app").hidden=false;$("signout").hidden=false;
 $("session").textContent=t("session")+" "+astana(expires);
 fetch("contests").then(json).then(function(b){contests=b.contests;var sel=$("contest");sel.innerHTML="";
  contests.forEach(function(c){var o=document.createElement("option");o.value=c.id;o.textContent=(c.title[lang]||c.title.ru)+" ("+t("st_"+c.status)+")";sel.appendChild(o)});
  var keep=sessionStorage.getItem("admin-contest");if(keep&&contests.some(function(c){return c.id===keep}))sel.value=keep;
  load()}).catch(function(e){showError(e.message)})}
function bars(items,width){var rowH=26,label=Math.min(320,Math.round(width*.38)),max=1;
 items.forEach(function(i){if(i.value>max)max=i.value});var w=width-label-70,h=items.length*rowH+4,s="";
 items.forEach(function(i,k){var y=k*rowH+2,bw=Math.round(w*i.value/max);
  s+='<text x="'+(label-8)+'" y="'+(y+17)+'" text-anchor="end">'+esc(i.label.length>44?i.label.slice(0,43)+"…":i.label)+'</text>'+
  '<rect x="'+label+'" y="'+(y+4)+'" width="'+Math.max(bw,1)+'" height="'+(rowH-8)+'" rx="3" fill="#1f8ac0"><title>'+esc(i.label)+": "+i.value+'</title></rect>'+
  '<text x="'+(label+bw+6)+'" y="'+(y+17)+'">'+i.value+(i.extra?" · "+i.extra:"")+'</text>'});
 return '<svg role="img" width="100%" viewBox="0 0 '+width+' '+h+'" xmlns="http://www.w3.org/2000/svg">'+s+'</svg>'}
function hourly(points){if(!points.length)return[];var first=Date.parse(points[0].hour),last=Date.parse(points[points.length-1].hour),
 byHour={},out=[];points.forEach(function(p){byHour[Date.parse(p.hour)]=p.votes});
 for(var h=first;h<=last&&out.length<24*60;h+=3600e3)out.push({hour:new Date(h).toISOString(),votes:byHour[h]||0});return out}
function columns(points,width){points=hourly(points);var h=170,max=1,n=Math.max(points.length,1),
 bw=Math.min(36,Math.max(2,Math.floor((width-50)/n)-2)),s="";
 points.forEach(function(p){if(p.votes>max)max=p.votes});
 points.forEach(function(p,k){var x=44+k*(bw+2),ph=Math.round((h-36)*p.votes/max);
  s+='<rect x="'+x+'" y="'+(h-22-ph)+'" width="'+bw+'" height="'+Math.max(ph,1)+'" fill="#00628b"><title>'+esc(astana(p.hour))+": "+p.votes+'</title></rect>'});
 s+='<line x1="40" y1="'+(h-21)+'" x2="'+(width-4)+'" y2="'+(h-21)+'" stroke="#d8dee6"/><text x="34" y="14" text-anchor="end">'+max+'</text><text x="34" y="'+(h-22)+'" text-anchor="end">0</text>';
 if(points.length){s+='<text x="44" y="'+(h-4)+'">'+esc(astana(points[0].hour))+'</text>';
  if(points.length>1)s+='<text x="'+(44+(points.length-1)*(bw+2)+bw)+'" y="'+(h-4)+'" text-anchor="end">'+esc(astana(points[points.length-1].hour))+'</text>'}
 return '<svg role="img" width="100%" viewBox="0 0 '+width+' '+h+'" xmlns="http://www.w3.org/2000/svg">'+s+'</svg>'}
function load(){current=$("contest").value;if(!current)return;sessionStorage.setItem("admin-contest",current);showError("");
 api("GET","admin/contests/"+encodeURIComponent(current)+"/results").then(json).then(render).catch(function(e){
  $("results").innerHTML='<p class="muted">'+esc(e.message||t("notready"))+'</p>';$("summary").innerHTML=""})}
function render(r){var final=r.status==="final";
 $("summary").innerHTML='<div class="totals"><div><span class="muted">'+t("status")+'</span><b><span class="badge'+(final?" final":"")+'">'+t(r.status)+'</span></b></div>'+
  '<div><span class="muted">'+t("total")+'</span><b>'+r.total+'</b></div><div><span class="muted">'+t("closes")+'</span><b style="font-size:15px">'+astana(r.closes_at)+'</b></div>'+
  '<div><span class="muted">'+t("tallied")+'</span><b style="font-size:15px">'+astana(r.tallied_at)+'</b></div></div>'+
  '<p class="muted">'+t("digest")+': <code>'+esc(r.digest)+'</code></p>';
 $("closebtn").disabled=final||r.state==="closed";$("evidencebtn").disabled=!final;
 var out="";r.nominations.forEach(function(n){out+='<h3>'+esc(n.title[lang]||n.title.ru)+' <span class="muted">— '+n.total+' '+t("votes")+'</span></h3>'+
  bars(n.nominees.map(function(x){return{label:x.name,value:x.votes,extra:n.total?(100*x.votes/n.total).toFixed(1)+"%":""}}),900)});
 $("results").innerHTML=out;$("turnout").innerHTML=columns(r.turnout||[],900)}
function download(path,name){api("GET",path).then(function(r){if(!r.ok)return json(r);return r.blob().then(function(b){
 var a=document.createElement("a");a.href=URL.createObjectURL(b);a.download=name;document.body.appendChild(a);a.click();
 setTimeout(function(){URL.revokeObjectURL(a.href);a.remove()},1000)})}).catch(function(e){showError(e.message)})}
$("lang").addEventListener("change",function(){lang=this.value;localStorage.setItem("admin-lang",lang);texts();if(token)signedIn()});
$("signin").addEventListener("click",signIn);$("signout").addEventListener("click",signOut);
$("contest").addEventListener("change",load);
$("csvbtn").addEventListener("click",function(){download("admin/contests/"+encodeURIComponent(current)+"/results?format=csv&lang="+lang,current+"-results.csv")});
$("evidencebtn").addEventListener("click",function(){download("admin/contests/"+encodeURIComponent(current)+"/evidence",current+"-evidence-sealed.jsonl")});
$("closebtn").addEventListener("click",function(){if(!window.confirm(t("confirm")))return;
 api("POST","admin/contests/"+encodeURIComponent(current)+"/close","{}").then(json).then(load).catch(function(e){showError(e.message)})});
$("finalists").addEventListener("change",function(){var f=this.files[0];if(!f)return;f.arrayBuffer().then(function(buf){
 return api("PUT","admin/contests/"+encodeURIComponent(current)+"/nominees",buf,"text/csv").then(json)}).then(function(b){
 $("uploaded").textContent=t("loaded")+": "+b.nominees+" ("+b.outcome+")";load()}).catch(function(e){showError(e.message)});this.value=""});
texts();if(token&&expires&&new Date(expires)>new Date())signedIn();else signOut();
})();
