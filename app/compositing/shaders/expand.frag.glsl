// The lens look's highlight recovery (expand_lut in app/compositing/lens.py): every 8-bit value
// to linear light, boosted above the knee, through the same 256-entry table, before the image
// is shrunk, so a light a few pixels wide keeps its energy.
uniform sampler2D src;  // the frame at the output size, 8-bit
uniform float lut[256];
out vec4 color;
void main() {
    ivec3 v = ivec3(texelFetch(src, ivec2(gl_FragCoord.xy), 0).rgb * 255.0 + 0.5);
    color = vec4(lut[v.r], lut[v.g], lut[v.b], 1.0);
}
