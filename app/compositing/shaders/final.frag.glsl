// The picture: frame * a + background * (1 - a) at the output size, for every effect.
// Images are kept in OpenCV's BGR order; `to_rgb` swaps for the screen. Rows are kept top
// first (row 0 at the framebuffer's bottom) unless `flip_y` turns them for the screen.
uniform sampler2D frame;       // at the output size
uniform sampler2D background;  // blurred (small, filtered) or replacement (output size)
uniform sampler2D matte;       // low resolution, filtered
uniform int effect;            // 0 blur, 1 replace, 2 none, 3 matte, 4 key, 5 cutout
uniform vec3 key_color;        // the key effect's background (BGR, 0..1)
uniform vec2 out_size;
uniform vec2 origin;           // the viewport's corner in window pixels
uniform bool mirror;
uniform bool flip_y;
uniform bool to_rgb;
uniform float dim;             // 1 normally; below 1 darkens (the softened picture)
out vec4 color;
void main() {
    vec2 px = gl_FragCoord.xy - origin;
    if (flip_y) px.y = out_size.y - px.y;
    if (mirror) px.x = out_size.x - px.x;
    vec2 uv = px / out_size;
    ivec2 ip = clamp(ivec2(px), ivec2(0), ivec2(out_size) - 1);
    vec3 f = texelFetch(frame, ip, 0).rgb;
    vec3 c;
    float alpha = 1.0;
    if (effect == 2) {
        c = f;
    } else {
        float a = texture(matte, uv).r;
        if (effect == 3) {
            c = vec3(a);
        } else if (effect == 5) {
            c = f;
            alpha = a;
        } else if (effect == 4) {
            c = f * a + key_color * (1.0 - a);
        } else {
            vec3 b = effect == 1 ? texelFetch(background, ip, 0).rgb : texture(background, uv).rgb;
            c = f * a + b * (1.0 - a);
        }
    }
    c *= dim;
    color = vec4(to_rgb ? c.bgr : c, alpha);
}
